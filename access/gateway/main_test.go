package gateway_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// setupE2E, set on Linux by e2e_test.go, builds what the end-to-end tests
// run and returns how to remove it.
var setupE2E func() (cleanup func(), err error)

// TestMain sets up the end-to-end tests, runs the tests, removes what the
// setup made, then fails the package if a goroutine the tests started
// outlives them.
func TestMain(m *testing.M) {
	flag.Parse()
	code := run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func run(m *testing.M) int {
	if setupE2E != nil {
		cleanup, err := setupE2E()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer cleanup()
	}
	return m.Run()
}
