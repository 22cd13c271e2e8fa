package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// A workload acknowledges its privileges (a CNI, a log or metrics agent
// that must run on every node) with this label and annotation on its pod
// template: where the pods' own labels come from, so that an admission
// policy sees the same decision on the pod. The reason is required.
//
// These are the only home of the two keys; the admission policy uses the
// same strings.
const (
	AcknowledgedLabel            = "isolate-workloads.dev/privileged-acknowledged"
	AcknowledgedLabelValue       = "true"
	AcknowledgedReasonAnnotation = "isolate-workloads.dev/privileged-acknowledged-reason"
)

// Acknowledgement is what a workload, or the config, says about the
// workload's privileges.
type Acknowledgement struct {
	// Labelled is set when the pod template carries AcknowledgedLabel with
	// the value "true", or when the config acknowledges the workload.
	Labelled bool
	Reason   string
	// Source names where it was given, for messages: a config entry
	// (spec.audit.acknowledge[0]) or the pod template's metadata.
	Source string
}

// ReadAcknowledgement reads the acknowledgement from a pod template's
// labels and annotations; source is where they are.
func ReadAcknowledgement(labels, annotations map[string]string, source string) Acknowledgement {
	return Acknowledgement{
		Labelled: labels[AcknowledgedLabel] == AcknowledgedLabelValue,
		Reason:   annotations[AcknowledgedReasonAnnotation],
		Source:   source,
	}
}

// Honoured reports whether the acknowledgement counts: a label without a
// reason does not, so that nobody silences the audit without saying why.
func (a Acknowledgement) Honoured() bool {
	return a.Labelled && strings.TrimSpace(a.Reason) != ""
}

// TemplateMetadataFields returns where the pod template's metadata sits,
// given where its pod spec sits: the sibling "metadata" of the final "spec"
// (spec/template/spec -> spec/template/metadata; a Pod's spec -> its own
// metadata). A pod spec path that does not end in "spec" has no such place.
func TemplateMetadataFields(podSpecFields []string) ([]string, bool) {
	n := len(podSpecFields)
	if n == 0 || podSpecFields[n-1] != "spec" {
		return nil, false
	}
	return append(slices.Clone(podSpecFields[:n-1]), "metadata"), true
}

// privilegedFinding is a finding of a check about privileges
// (privilegedTolerating, privilegedOnSharedNodes), with the workload's
// acknowledgement applied: an honoured one turns it into info that still
// names the privileges and quotes the reason; a label without its reason is
// not honoured, and the message says so.
// The advice, how to remove the finding, is left out of an acknowledged one.
func (a *Auditor) privilegedFinding(check string, w Workload, path, msg, advice string) (Finding, bool) {
	severity := a.Severity[check]
	if severity == config.SeverityOff {
		return Finding{}, false
	}
	f := Finding{Check: check, Severity: severity, Object: w.Object, Field: path, Message: msg + ". " + advice}
	ack := w.Acknowledgement
	switch {
	case ack.Honoured() && check == CheckPrivilegedTolerating && !a.policyHonours(w.Object.GetNamespace()):
		where := "in no namespace"
		if len(a.PolicyNamespaces) > 0 {
			where = "only in namespace " + strings.Join(a.PolicyNamespaces, ", ")
		}
		f.Message = fmt.Sprintf("%s. It is acknowledged in %s, but the admission policy honours acknowledgements %s (spec.enforcement.acknowledgedNamespaces), so it would deny these pods: add namespace %q there, or drop the privileges",
			msg, ack.Source, where, w.Object.GetNamespace())
	case ack.Honoured():
		f.Severity = config.SeverityInfo
		f.Acknowledged = true
		f.Message = fmt.Sprintf("acknowledged in %s with the reason %q: %s", ack.Source, ack.Reason, msg)
	case ack.Labelled:
		f.Message = fmt.Sprintf("%s. The acknowledgement is not honoured: %s has the label %s but no %s annotation with the reason",
			f.Message, ack.Source, AcknowledgedLabel, AcknowledgedReasonAnnotation)
	}
	return f, true
}

// policyHonours reports whether the admission policy, if the config has
// one, honours an acknowledgement in the namespace.
func (a *Auditor) policyHonours(namespace string) bool {
	return !a.Enforced || slices.Contains(a.PolicyNamespaces, namespace)
}

// Tags are the result tags of a finding: its check, and whether it was
// acknowledged.
func (f Finding) Tags() map[string]string {
	tags := map[string]string{"check": f.Check}
	if f.Acknowledged {
		tags["acknowledged"] = "true"
	}
	return tags
}
