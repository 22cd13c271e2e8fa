package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/config"
)

func TestTemplateMetadataFields(t *testing.T) {
	for in, want := range map[string]string{
		"spec":                                "metadata",
		"template/spec":                       "template/metadata",
		"spec/template/spec":                  "spec/template/metadata",
		"spec/jobTemplate/spec/template/spec": "spec/jobTemplate/spec/template/metadata",
		"spec/podSpec":                        "",
		"":                                    "",
	} {
		var fields []string
		if in != "" {
			fields = strings.Split(in, "/")
		}
		got, ok := TemplateMetadataFields(fields)
		if strings.Join(got, "/") != want || ok != (want != "") {
			t.Errorf("TemplateMetadataFields(%s) = %v, %v; want %q", in, got, ok, want)
		}
	}
}

// TestPrivilegedFindingAcknowledged goes through what an acknowledgement
// does to a privilege finding, for each way it can be given.
func TestPrivilegedFindingAcknowledged(t *testing.T) {
	obj := fn.NewEmptyKubeObject()
	const msg = "has elevated privileges (hostNetwork)"
	const advice = "Drop the privileges"
	cases := []struct {
		name         string
		ack          Acknowledgement
		severity     config.Severity
		want         config.Severity
		acknowledged bool
		wantInMsg    string
	}{
		{"none", Acknowledgement{}, config.SeverityError, config.SeverityError, false, msg},
		{"label and reason", ReadAcknowledgement(map[string]string{AcknowledgedLabel: "true"}, map[string]string{AcknowledgedReasonAnnotation: "CNI"}, "spec.template.metadata"),
			config.SeverityError, config.SeverityInfo, true, `acknowledged in spec.template.metadata with the reason "CNI": ` + msg},
		{"label without reason", ReadAcknowledgement(map[string]string{AcknowledgedLabel: "true"}, nil, "spec.template.metadata"),
			config.SeverityError, config.SeverityError, false, "not honoured: spec.template.metadata has the label " + AcknowledgedLabel + " but no " + AcknowledgedReasonAnnotation},
		{"blank reason", ReadAcknowledgement(map[string]string{AcknowledgedLabel: "true"}, map[string]string{AcknowledgedReasonAnnotation: "  "}, "m"),
			config.SeverityWarning, config.SeverityWarning, false, "not honoured"},
		{"label false", ReadAcknowledgement(map[string]string{AcknowledgedLabel: "false"}, map[string]string{AcknowledgedReasonAnnotation: "CNI"}, "m"),
			config.SeverityError, config.SeverityError, false, msg},
		{"config entry", Acknowledgement{Labelled: true, Reason: "logs", Source: "spec.audit.acknowledge[2]"},
			config.SeverityWarning, config.SeverityInfo, true, `acknowledged in spec.audit.acknowledge[2] with the reason "logs"`},
	}
	for _, tc := range cases {
		a := &Auditor{Severity: map[string]config.Severity{CheckPrivilegedTolerating: tc.severity}}
		f, ok := a.privilegedFinding(CheckPrivilegedTolerating, Workload{Object: obj, Acknowledgement: tc.ack}, "spec.hostNetwork", msg, advice)
		if !ok {
			t.Fatalf("%s: no finding", tc.name)
		}
		if strings.Contains(f.Message, advice) == tc.acknowledged {
			t.Errorf("%s: the advice belongs in unacknowledged findings only: %s", tc.name, f.Message)
		}
		if f.Severity != tc.want || f.Acknowledged != tc.acknowledged || !strings.Contains(f.Message, tc.wantInMsg) || !strings.Contains(f.Message, msg) {
			t.Errorf("%s: got %+v", tc.name, f)
		}
		if tags := f.Tags(); tags["check"] != CheckPrivilegedTolerating || (tags["acknowledged"] == "true") != tc.acknowledged {
			t.Errorf("%s: tags %v", tc.name, tags)
		}
	}
	off := &Auditor{Severity: map[string]config.Severity{CheckPrivilegedTolerating: config.SeverityOff}}
	if _, ok := off.privilegedFinding(CheckPrivilegedTolerating, Workload{Object: obj, Acknowledgement: cases[1].ack}, "", msg, advice); ok {
		t.Error("a check that is off reported an acknowledged finding")
	}
}

// TestChecksAreTheConfigs keeps the audit's check names and the config's
// table of severities the same list.
func TestChecksAreTheConfigs(t *testing.T) {
	if !slices.Equal(Checks, config.AuditChecks()) {
		t.Errorf("audit.Checks %v, config.AuditChecks %v", Checks, config.AuditChecks())
	}
}

// TestAcknowledgementOutsidePolicyNamespaces: under spec.enforcement, an
// acknowledgement counts only where the admission policy honours it, or the
// run would pass workloads whose pods the cluster then denies.
func TestAcknowledgementOutsidePolicyNamespaces(t *testing.T) {
	ack := Acknowledgement{Labelled: true, Reason: "reads /var/log", Source: "spec.audit.acknowledge[0]"}
	for _, tc := range []struct {
		name         string
		enforced     bool
		namespaces   []string
		namespace    string
		check        string
		acknowledged bool
	}{
		{"no-enforcement", false, nil, "logging", CheckPrivilegedTolerating, true},
		{"honoured-namespace", true, []string{"kube-system", "logging"}, "logging", CheckPrivilegedTolerating, true},
		{"other-namespace", true, []string{"kube-system"}, "logging", CheckPrivilegedTolerating, false},
		{"no-namespace-honoured", true, []string{}, "kube-system", CheckPrivilegedTolerating, false},
		// The policy has no rule about shared nodes.
		{"shared-nodes-check", true, []string{"kube-system"}, "logging", CheckPrivilegedOnSharedNodes, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &Auditor{Severity: config.Audit{}.Severities(), Enforced: tc.enforced, PolicyNamespaces: tc.namespaces}
			obj := fn.NewEmptyKubeObject()
			if err := obj.SetNamespace(tc.namespace); err != nil {
				t.Fatal(err)
			}
			f, ok := a.privilegedFinding(tc.check, Workload{Object: obj, Acknowledgement: ack}, "spec", "has elevated privileges", "Drop them")
			if !ok {
				t.Fatal("no finding")
			}
			if f.Acknowledged != tc.acknowledged || (f.Severity == config.SeverityInfo) != tc.acknowledged {
				t.Errorf("acknowledged %v with severity %s, want acknowledged %v", f.Acknowledged, f.Severity, tc.acknowledged)
			}
			if !tc.acknowledged && !strings.Contains(f.Message, "would deny these pods") {
				t.Errorf("the message must say the policy denies them: %s", f.Message)
			}
		})
	}
}
