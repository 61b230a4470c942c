{{/*
Base name of every object: the release name (archctl for `helm install archctl`),
or fullnameOverride. `archctl install` uses the fixed name archctl, so a release
called archctl installs the very same objects.
*/}}
{{- define "archctl.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "archctl.selectorLabels" -}}
app.kubernetes.io/name: archctl
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "archctl.labels" -}}
{{ include "archctl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: archctl
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "archctl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "archctl.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "archctl.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The RBAC rules generated from operator/install/rbac.ts (files/rbac-rules.yaml). */}}
{{- define "archctl.rules" -}}
{{- .Files.Get "files/rbac-rules.yaml" | fromYaml | toJson -}}
{{- end -}}

{{/* Fails early on values that cannot work together. */}}
{{- define "archctl.validate" -}}
{{- if and (eq .Values.rbac.scope "Namespace") (not .Values.watchNamespaces) -}}
{{- fail "rbac.scope=Namespace needs watchNamespaces: without cluster-wide rights the operator cannot watch all namespaces" -}}
{{- end -}}
{{- end -}}
