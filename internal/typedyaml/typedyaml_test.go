package typedyaml

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestEncodeSurvivesYAML11Readers encodes values that YAML 1.1 would read as
// bools or numbers and reads them back the way kubectl does.
func TestEncodeSurvivesYAML11Readers(t *testing.T) {
	for _, value := range []string{"yes", "no", "on", "off", "y", "true", "0x1F", "1e3", "012", "untrusted"} {
		tol := corev1.Toleration{Key: "k", Operator: corev1.TolerationOpEqual, Value: value, Effect: corev1.TaintEffectNoSchedule}
		node, err := Encode(tol)
		if err != nil {
			t.Fatal(err)
		}
		text, err := yaml.NewRNode(node).String()
		if err != nil {
			t.Fatal(err)
		}
		var back corev1.Toleration
		if err := sigsyaml.Unmarshal([]byte(text), &back); err != nil {
			t.Errorf("%q: kubectl's YAML reader rejects the output: %v\n%s", value, err, text)
			continue
		}
		if back != tol {
			t.Errorf("%q: read back as %+v", value, back)
		}
	}
}

func TestEncodeKeepsFieldOrder(t *testing.T) {
	node, err := Encode(corev1.Toleration{Key: "k", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoExecute})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := yaml.NewRNode(node).String()
	want := `key: k
operator: Equal
value: v
effect: NoExecute
`
	if text != want {
		t.Errorf("got\n%s\nwant\n%s", text, want)
	}
}

func TestStringNode(t *testing.T) {
	if n := String("on"); n.Style != yaml.DoubleQuotedStyle {
		t.Error(`"on" must be quoted for YAML 1.1 readers`)
	}
	if n := String("linux"); n.Style != 0 {
		t.Error(`"linux" needs no quotes`)
	}
}

func TestDecode(t *testing.T) {
	rn, err := yaml.Parse(`key: k
operator: Exists
tolerationSeconds: 30
`)
	if err != nil {
		t.Fatal(err)
	}
	var tol corev1.Toleration
	if err := Decode(rn.YNode(), &tol); err != nil {
		t.Fatal(err)
	}
	if tol.Key != "k" || tol.Operator != corev1.TolerationOpExists || *tol.TolerationSeconds != 30 {
		t.Errorf("decoded %+v", tol)
	}
	bad, _ := yaml.Parse(`- a
- b
`)
	if err := Decode(bad.YNode(), &tol); err == nil {
		t.Error("decoding a list into a toleration must fail")
	}
}
