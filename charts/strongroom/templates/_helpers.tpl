{{/* Names, labels and small computed values shared by every template. */}}

{{- define "strongroom.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "strongroom.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "strongroom.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "strongroom.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: strongroom
{{- end }}

{{- define "strongroom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "strongroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "strongroom.operatorServiceAccount" -}}
{{- default (include "strongroom.fullname" .) .Values.serviceAccount.operator.name }}
{{- end }}

{{- define "strongroom.jobServiceAccount" -}}
{{- default (printf "%s-job" (include "strongroom.fullname" .)) .Values.serviceAccount.jobs.name }}
{{- end }}

{{- define "strongroom.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "true" when the operator serves every namespace (cluster-wide RBAC). */}}
{{- define "strongroom.clusterWide" -}}
{{- if empty .Values.watchNamespaces }}true{{ end }}
{{- end }}
