package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// config is testsvc's behaviour. Defaults come first, TESTSVC_* environment
// variables override them, and flags override the environment: images set
// flags through Cmd and stacks set env vars per container.
type config struct {
	Listen     string
	ReadyAfter time.Duration
	FailAfter  time.Duration // 0: never
	Unhealthy  bool
	Exit       int // -1: serve; otherwise exit immediately with this code
	Deps       []string
	Heartbeat  time.Duration // 0: off
}

// envPrefix is prepended to each flag name (upper-cased, '-' → '_').
const envPrefix = "TESTSVC_"

// parseConfig reads the configuration from args (without the program name)
// and getenv.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	c := config{Listen: ":8080", Exit: -1}
	fs := flag.NewFlagSet("testsvc", flag.ContinueOnError)
	fs.SetOutput(usage)
	var deps string
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on (TESTSVC_LISTEN)")
	fs.DurationVar(&c.ReadyAfter, "ready-after", 0, "become ready after this long (TESTSVC_READY_AFTER)")
	fs.DurationVar(&c.FailAfter, "fail-after", 0, "exit with code 3 after this long; 0 never (TESTSVC_FAIL_AFTER)")
	fs.BoolVar(&c.Unhealthy, "unhealthy", false, "never become ready (TESTSVC_UNHEALTHY)")
	fs.IntVar(&c.Exit, "exit", -1, "exit immediately with this code; -1 serve (TESTSVC_EXIT)")
	fs.StringVar(&deps, "deps", "", "comma-separated base URLs whose /healthz must answer 200 first (TESTSVC_DEPS)")
	fs.DurationVar(&c.Heartbeat, "heartbeat", 0, "log a heartbeat line this often; 0 off (TESTSVC_HEARTBEAT)")

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		key := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(key); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("environment %s=%q: %w", key, v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (the only subcommand is health)", fs.Arg(0))
	}
	c.Deps = splitList(deps)
	return c, nil
}

// splitList splits a comma-separated list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
