package svc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
)

// DefaultListen is where every example service listens inside its container.
const DefaultListen = ":8080"

// Service is one example service as its main package describes it.
type Service struct {
	Name         string       // for logs, e.g. "works"
	Listen       string       // "" means DefaultListen
	Dependencies []Dependency // /healthz is 200 only while all of them answer 200
	Routes       http.Handler // everything except /healthz
}

// Env reads configuration from environment variables.
type Env func(key string) string

// Get returns the variable key, or def when it is unset or empty.
func (e Env) Get(key, def string) string {
	if v := e(key); v != "" {
		return v
	}
	return def
}

// Dependency returns the dependency name with its base URL taken from
// <NAME>_URL (e.g. STORE_URL), defaulting to http://<name>:8080, the
// service's DNS name on the stack network.
func (e Env) Dependency(name string) Dependency {
	key := strings.ToUpper(name) + "_URL"
	return Dependency{Name: name, URL: e.Get(key, "http://"+name+":8080")}
}

// Command is an extra subcommand of a service binary, e.g. store's migrate.
type Command func(ctx context.Context, args []string, env Env, log *slog.Logger) error

// Program is the whole of a service binary: how to build the service from
// the environment, and any subcommands besides `health`.
type Program struct {
	Name     string
	Build    func(env Env, log *slog.Logger) (*Service, error)
	Commands map[string]Command
}

// Main runs p with the process's arguments and environment and exits:
// `NAME` serves until SIGTERM, `NAME health [URL]` probes a /healthz, and
// `NAME CMD args…` runs one of p.Commands.
func Main(p Program) {
	ctx, stop := SignalContext(context.Background())
	code := p.run(ctx, os.Args[1:], Env(os.Getenv))
	stop()
	os.Exit(code)
}

func (p Program) run(ctx context.Context, args []string, env Env) int {
	log := NewLogger(os.Stdout, p.Name)
	if len(args) > 0 && args[0] == "health" {
		return HealthCommand(ctx, args[1:], os.Stdout)
	}
	if len(args) > 0 {
		cmd, ok := p.Commands[args[0]]
		if !ok {
			log.Error("unknown subcommand", "arg", args[0])
			return 2
		}
		if err := cmd(ctx, args[1:], env, log); err != nil {
			log.Error(args[0]+" failed", "err", err)
			return 1
		}
		return 0
	}
	s, err := p.Build(env, log)
	if err != nil {
		log.Error("configuring", "err", err)
		return 2
	}
	if err := Run(ctx, s, log); err != nil {
		log.Error("serving", "err", err)
		return 1
	}
	return 0
}

// Run serves s until ctx ends.
func Run(ctx context.Context, s *Service, log *slog.Logger) error {
	listen := s.Listen
	if listen == "" {
		listen = DefaultListen
	}
	deps := make([]string, len(s.Dependencies))
	for i, d := range s.Dependencies {
		deps[i] = d.Name + "=" + d.URL
	}
	log.Info("start", "listen", listen, "dependencies", strings.Join(deps, ","))
	if err := Serve(ctx, listen, Handler(s, log)); err != nil {
		return fmt.Errorf("running %s: %w", s.Name, err)
	}
	log.Info("stopped")
	return nil
}

// Handler is s's complete HTTP handler: its routes, /healthz, request logs.
func Handler(s *Service, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", Healthz(DependenciesReady(s.Dependencies)))
	if s.Routes != nil {
		mux.Handle("/", s.Routes)
	}
	return LogRequests(log, mux, "/healthz")
}
