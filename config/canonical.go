package config

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// decodeCanonical decodes a config written the way the YAML encoder writes
// values back (plain strings and decimal integers, no nulls and no explicit
// empty values) with go-yaml alone, through the yaml tags that mirror the
// json tags. It reports false for anything else, which decodeStrict then
// decodes through JSON, the path that also words every error.
//
// The JSON path builds encoding/json's tables for the whole config type
// graph on first use: 0.2 to 0.4 ms of a 10-resource run, most of the
// function's own startup. Nearly every config people write is canonical.
// go-yaml is laxer than JSON (it reads 1 into a string field, and ignores
// unknown fields), so a decode only counts when encoding its result gives
// back exactly the input: any field go-yaml dropped, converted or
// reinterpreted shows up as a difference.
func decodeCanonical(n *yaml.Node) (*WorkloadIsolation, bool) {
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	w := &WorkloadIsolation{}
	body := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode || seen[key.Value] {
			return nil, false
		}
		seen[key.Value] = true
		switch key.Value {
		case "apiVersion", "kind":
			// TypeMeta has only json tags: these two are read here.
			if value.Kind != yaml.ScalarNode || value.ShortTag() != yaml.NodeTagString {
				return nil, false
			}
			if key.Value == "kind" {
				w.Kind = value.Value
			} else {
				w.APIVersion = value.Value
			}
		default:
			body.Content = append(body.Content, key, value)
		}
	}
	if err := body.Decode(w); err != nil {
		return nil, false
	}
	var back yaml.Node
	if err := back.Encode(w); err != nil || !sameData(body, &back) {
		return nil, false
	}
	return w, true
}

// sameData reports whether the encoding of the decoded config, back, holds
// exactly the data of the input: the same keys with the same values, where
// back may add only fields the input left out and that are zero anyway.
func sameData(in, back *yaml.Node) bool {
	switch {
	case in.Kind == yaml.MappingNode && back.Kind == yaml.MappingNode:
		backFields := map[string]*yaml.Node{}
		for i := 0; i+1 < len(back.Content); i += 2 {
			backFields[back.Content[i].Value] = back.Content[i+1]
		}
		for i := 0; i+1 < len(in.Content); i += 2 {
			key := in.Content[i]
			if key.ShortTag() != yaml.NodeTagString {
				return false
			}
			b, ok := backFields[key.Value]
			if !ok || !sameData(in.Content[i+1], b) {
				return false
			}
			delete(backFields, key.Value)
		}
		for _, b := range backFields {
			if !isZero(b) {
				return false
			}
		}
		return true
	case in.Kind == yaml.SequenceNode && back.Kind == yaml.SequenceNode:
		if len(in.Content) != len(back.Content) {
			return false
		}
		for i := range in.Content {
			if !sameData(in.Content[i], back.Content[i]) {
				return false
			}
		}
		return true
	case in.Kind == yaml.ScalarNode && back.Kind == yaml.ScalarNode:
		return in.ShortTag() == back.ShortTag() && in.Value == back.Value && in.ShortTag() != yaml.NodeTagNull
	}
	return false
}

// isZero reports a value the encoder wrote for a field the input left out.
func isZero(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case yaml.NodeTagNull:
			return true
		case yaml.NodeTagString:
			return n.Value == ""
		case yaml.NodeTagInt:
			return n.Value == "0"
		case yaml.NodeTagBool:
			return n.Value == "false"
		}
		return false
	case yaml.MappingNode, yaml.SequenceNode:
		for i, c := range n.Content {
			// A map's keys are names, not values.
			if n.Kind == yaml.MappingNode && i%2 == 0 {
				continue
			}
			if !isZero(c) {
				return false
			}
		}
		return true
	}
	return false
}
