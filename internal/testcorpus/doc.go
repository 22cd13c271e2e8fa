// Package testcorpus gives tests the pod specs of the real-world corpus and the golden inputs, and fuzzers their seed files.
package testcorpus
