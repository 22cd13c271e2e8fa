// Package podyaml reads and writes the scheduling fields of pod specs (tolerations, node affinity, node selectors) directly on YAML nodes, without the JSON round trip of typedyaml; anything unusual is left to typedyaml, whose results it matches.
package podyaml
