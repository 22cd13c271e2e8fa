// Package dirmode runs the function over a package directory in place, rewriting only the documents it changes.
package dirmode
