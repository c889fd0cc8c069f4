// Command boss is the sample stack's admin dashboard API. It aggregates the
// works and message services for administrators.
//
//	GET /dashboard   (admin token) counts and the latest works and announcements
//
// Environment: WORKS_URL, MESSAGE_URL, PASSPORT_URL (http://<name>:8080).
package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

// latest is how many recent items the dashboard shows of each kind.
const latest = 5

func main() {
	svc.Main(svc.Program{Name: "boss", Build: build})
}

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	works, message, passport := env.Dependency("works"), env.Dependency("message"), env.Dependency("passport")
	b := &boss{works: svc.Client{BaseURL: works.URL}, message: svc.Client{BaseURL: message.URL}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dashboard", api.Authenticated(api.NewPassport(passport.URL), api.RoleAdmin, b.dashboard))
	return &svc.Service{
		Name:         "boss",
		Listen:       env.Get("LISTEN", svc.DefaultListen),
		Dependencies: []svc.Dependency{works, message, passport},
		Routes:       mux,
	}, nil
}

type boss struct {
	works, message svc.Client
}

// dashboard is the answer of GET /dashboard.
type dashboard struct {
	Viewer        string        `json:"viewer"`
	WorksTotal    int           `json:"works_total"`
	LatestWorks   []api.Work    `json:"latest_works"`
	Announcements []api.Message `json:"announcements"`
}

func (b *boss) dashboard(w http.ResponseWriter, r *http.Request, who api.Claims) {
	d, err := b.collect(r.Context())
	if err != nil {
		svc.WriteError(w, http.StatusBadGateway, err.Error())
		return
	}
	d.Viewer = who.Name
	svc.WriteJSON(w, http.StatusOK, d)
}

// collect asks works and message at the same time.
func (b *boss) collect(ctx context.Context) (dashboard, error) {
	var (
		works      []api.Work
		announced  []api.Message
		werr, merr error
		wg         sync.WaitGroup
	)
	wg.Go(func() { werr = b.works.Do(ctx, http.MethodGet, "/works", "", nil, &works) })
	wg.Go(func() { merr = b.message.Do(ctx, http.MethodGet, "/announcements", "", nil, &announced) })
	wg.Wait()
	if werr != nil {
		return dashboard{}, werr
	}
	if merr != nil {
		return dashboard{}, merr
	}
	d := dashboard{WorksTotal: len(works), LatestWorks: works[max(0, len(works)-latest):],
		Announcements: announced[:min(latest, len(announced))]}
	return d, nil
}
