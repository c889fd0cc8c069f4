// Command store is the sample stack's data store: an in-memory key-value
// map over HTTP, snapshotted to STORE_DATA_DIR (a volume) when set.
//
//	store            serve on :8080 (GET/PUT/DELETE /kv/{key}, GET /kv?prefix=)
//	store migrate    seed STORE_URL with the sample users, works and messages, then exit
//	store health     probe http://127.0.0.1:8080/healthz
package main

import (
	"log/slog"

	"github.com/devenv-dev/devenv/examples/internal/kv"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func main() {
	svc.Main(svc.Program{
		Name:     "store",
		Build:    build,
		Commands: map[string]svc.Command{"migrate": migrate},
	})
}

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	dir := env.Get("STORE_DATA_DIR", "")
	data, err := kv.Open(dir)
	if err != nil {
		return nil, err
	}
	log.Info("data loaded", "dir", dir, "keys", len(data.List("")))
	return &svc.Service{
		Name:   "store",
		Listen: env.Get("LISTEN", svc.DefaultListen),
		Routes: data.Routes(),
	}, nil
}
