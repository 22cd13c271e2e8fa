// Package crdschema validates objects against upstream CustomResourceDefinitions the way the API server does: defaulting, pruning, OpenAPI, list types and CEL rules.
package crdschema
