package crdschema

import (
	"context"
	"fmt"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsyaml "sigs.k8s.io/yaml"
)

// Schema is the served and stored version of one CRD.
type Schema struct {
	Group, Version, Kind string
	structural           *structuralschema.Structural
	validator            validation.SchemaValidator
	cel                  *cel.Validator
}

// Load reads a CRD file and prepares the schema of its storage version.
func Load(path string) (*Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v1 apiextensionsv1.CustomResourceDefinition
	if err := sigsyaml.Unmarshal(data, &v1); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&v1)
	var crd apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(&v1, &crd, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, ver := range crd.Spec.Versions {
		if !ver.Served || !ver.Storage {
			continue
		}
		props := crd.Spec.Validation
		if ver.Schema != nil {
			props = ver.Schema
		}
		if props == nil || props.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("%s: version %s has no schema", path, ver.Name)
		}
		structural, err := structuralschema.NewStructural(props.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		validator, _, err := validation.NewSchemaValidator(props.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &Schema{
			Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind,
			structural: structural, validator: validator,
			cel: cel.NewValidator(structural, true, celconfig.PerCallLimit),
		}, nil
	}
	return nil, fmt.Errorf("%s: no version is both served and stored", path)
}

// APIVersion is group/version.
func (s *Schema) APIVersion() string { return s.Group + "/" + s.Version }

// Validate checks one object, given as JSON or YAML, and returns every
// problem: fields the schema does not know (which the API server would
// silently prune), OpenAPI violations, list-type violations and CEL rules.
func (s *Schema) Validate(object []byte) field.ErrorList {
	jsonData, err := sigsyaml.YAMLToJSON(object)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), string(object), err.Error())}
	}
	// The apimachinery decoder keeps whole numbers as int64, as the API server does.
	var obj map[string]any
	if err := utiljson.Unmarshal(jsonData, &obj); err != nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), string(object), err.Error())}
	}
	var errs field.ErrorList
	structuraldefaulting.Default(obj, s.structural)
	for _, p := range pruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Invalid(field.NewPath(p), field.OmitValueType{}, "unknown field: the API server would drop it"))
	}
	errs = append(errs, validation.ValidateCustomResource(nil, obj, s.validator)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	celErrs, _ := s.cel.Validate(context.Background(), nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	errs = append(errs, celErrs...)
	return errs
}
