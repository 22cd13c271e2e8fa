// Package transformer runs the function: config, select, place, then results. It never reads stdin or writes stdout.
package transformer
