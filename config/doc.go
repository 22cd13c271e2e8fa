// Package config defines, decodes, defaults and validates the WorkloadIsolation functionConfig.
package config
