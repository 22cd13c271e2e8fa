// Package nodepoolschema checks every emitted node-pool object against its provider's upstream CRD, twice: with the API server's validation code in process, and on a real API server with the CRDs installed.
package nodepoolschema
