// Package text words the messages every stage writes the same way.
package text
