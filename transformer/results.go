package transformer

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

func resourceOf(obj *fn.KubeObject) selection.Resource {
	return selection.Resource{
		GVK:         obj.GroupVersionKind(),
		Name:        obj.GetName(),
		Namespace:   obj.GetNamespace(),
		Labels:      obj.GetLabels(),
		Annotations: obj.GetAnnotations(),
	}
}

// objectResult is a result about one field of one resource.
func objectResult(obj *fn.KubeObject, severity fn.Severity, path string, msg string) *fn.Result {
	res := fn.ConfigObjectResult(msg, obj, severity)
	if path != "" {
		res.Field = &fn.Field{Path: path}
	}
	if res.File != nil && res.File.Path == "" {
		res.File = nil
	}
	return res
}

// configResult reports a problem of the functionConfig at its field.
func configResult(e *field.Error, cfg *fn.KubeObject) *fn.Result {
	if cfg == nil || cfg.IsEmpty() {
		return fn.GeneralResult(e.Error(), fn.Error)
	}
	return objectResult(cfg, fn.Error, e.Field, fmt.Sprintf("invalid functionConfig: %s: %s", e.Field, errorDetail(e)))
}

// errorDetail is the error without its field, which the result carries
// separately, and without a value where there is none to show.
func errorDetail(e *field.Error) string {
	if e.BadValue == (field.OmitValueType{}) && e.Detail != "" {
		return e.Detail
	}
	return e.ErrorBody()
}
