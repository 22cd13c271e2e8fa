// Package yamlnode holds the checks on YAML nodes that the readers of the config, the pod specs and the ResourceList share.
package yamlnode
