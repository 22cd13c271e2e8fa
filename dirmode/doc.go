// Package dirmode runs the function over a package directory in place, rewriting only the lines of the documents it changes.
package dirmode
