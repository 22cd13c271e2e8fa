package config

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kindString spells a kind the way kubectl explain and API errors do: Kind.version.group.
func kindString(gvk schema.GroupVersionKind) string {
	s := gvk.Kind + "." + gvk.Version
	if gvk.Group != "" {
		s += "." + gvk.Group
	}
	return s
}

// ExpectedKinds names what the function accepts as its functionConfig.
var ExpectedKinds = fmt.Sprintf("%s, or a ConfigMap with the keys %s",
	kindString(schema.GroupVersionKind{Group: Group, Version: Version, Kind: Kind}), strings.Join(configMapKeys, ", "))

// Load decodes, defaults and validates the functionConfig. Every problem is
// returned at once, each with the field it is about.
func Load(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	if obj == nil || obj.IsEmpty() {
		return nil, field.ErrorList{field.Required(field.NewPath("functionConfig"),
			"no functionConfig given; expected "+ExpectedKinds)}
	}
	var w *WorkloadIsolation
	var errs field.ErrorList
	switch {
	case obj.IsGVK(Group, Version, Kind):
		w, errs = decodeStrict(obj)
	case obj.IsGVK("", "v1", "ConfigMap"):
		w, errs = fromConfigMap(obj)
	default:
		return nil, field.ErrorList{decodeError(field.NewPath("kind"),
			fmt.Sprintf("unsupported functionConfig %s; expected %s", kindString(obj.GroupVersionKind()), ExpectedKinds))}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	w.Default()
	if errs := w.Validate(); len(errs) > 0 {
		return nil, errs
	}
	return w, nil
}

// decodeStrict rejects unknown and duplicate fields, because a misspelt field
// would otherwise be dropped and silently disable isolation.
func decodeStrict(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	node := obj.CopyToResourceNode().YNode()
	if w, ok := decodeCanonical(node); ok {
		return w, nil
	}
	return decodeJSON(node)
}

// decodeJSON is the strict decoding of any config: the YAML decoder rejects
// a key given twice; the JSON decoder then rejects unknown fields and wrong
// types, naming their paths.
func decodeJSON(node *yaml.Node) (*WorkloadIsolation, field.ErrorList) {
	var generic any
	if err := node.Decode(&generic); err != nil {
		return nil, field.ErrorList{decodeError(field.NewPath("functionConfig"), "not valid YAML: "+err.Error())}
	}
	jsonData, err := json.Marshal(generic)
	if err != nil {
		return nil, field.ErrorList{decodeError(field.NewPath("functionConfig"), "cannot be read: "+err.Error())}
	}
	w := &WorkloadIsolation{}
	strictErrs, err := sigsjson.UnmarshalStrict(jsonData, w)
	if err != nil {
		return nil, field.ErrorList{decodeError(field.NewPath("functionConfig"), decodeErrorMessage(err))}
	}
	var errs field.ErrorList
	for _, e := range strictErrs {
		fe, ok := e.(sigsjson.FieldError)
		if !ok {
			errs = append(errs, decodeError(field.NewPath("functionConfig"), e.Error()))
			continue
		}
		detail := e.Error()
		if strings.HasPrefix(detail, "unknown field") {
			detail = "unknown field; check its spelling, a misspelt field would silently change what is isolated"
		}
		errs = append(errs, decodeError(field.NewPath(fe.FieldPath()), detail))
	}
	return w, errs
}

// decodeErrorMessage makes encoding/json's type errors name the field the
// way users write it in YAML.
func decodeErrorMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return strings.Replace(msg, "Go struct field ", "field ", 1)
}

func decodeError(path *field.Path, detail string) *field.Error {
	return field.Invalid(path, field.OmitValueType{}, detail)
}
