package text

import "fmt"

// Plural counts a noun: "1 workload", "2 workloads".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
