// Package krmio reads and writes the KRM function ResourceList, item by item, with output byte-identical to the SDK's.
package krmio
