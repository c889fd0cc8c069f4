// Command web is the sample stack's public front end: GET / renders an HTML
// page with the works and announcements it fetches server-side.
//
// Environment: WORKS_URL, MESSAGE_URL (http://<name>:8080), LISTEN (:8080).
package main

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"sync"

	"github.com/devenv-dev/devenv/examples/internal/api"
	"github.com/devenv-dev/devenv/examples/internal/svc"
)

func main() {
	svc.Main(svc.Program{Name: "web", Build: build})
}

func build(env svc.Env, log *slog.Logger) (*svc.Service, error) {
	works, message := env.Dependency("works"), env.Dependency("message")
	s := &web{works: svc.Client{BaseURL: works.URL}, message: svc.Client{BaseURL: message.URL}, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	return &svc.Service{
		Name:         "web",
		Listen:       env.Get("LISTEN", svc.DefaultListen),
		Dependencies: []svc.Dependency{works, message},
		Routes:       mux,
	}, nil
}

type web struct {
	works, message svc.Client
	log            *slog.Logger
}

// page is what the home template renders. A backend that fails leaves its
// section empty with the error shown, rather than failing the whole page.
type page struct {
	Works         []api.Work
	WorksErr      error
	Announcements []api.Message
	MessageErr    error
}

var home = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sample stack</title></head>
<body>
<h1>Sample stack</h1>
<h2>Announcements</h2>
{{if .MessageErr}}<p class="error">message unavailable: {{.MessageErr}}</p>{{end}}
<ul id="announcements">
{{range .Announcements}}  <li>{{.Text}} <small>— {{.From}}, {{.Created.Format "2006-01-02"}}</small></li>
{{else}}  <li>No announcements.</li>
{{end}}</ul>
<h2>Works</h2>
{{if .WorksErr}}<p class="error">works unavailable: {{.WorksErr}}</p>{{end}}
<ul id="works">
{{range .Works}}  <li>{{.Title}} <small>by {{.Author}}</small></li>
{{else}}  <li>No works yet.</li>
{{end}}</ul>
</body>
</html>
`))

func (s *web) home(w http.ResponseWriter, r *http.Request) {
	p := s.fetch(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := home.Execute(w, p); err != nil {
		s.log.Error("rendering home", "err", err)
	}
}

// fetch asks works and message at the same time.
func (s *web) fetch(ctx context.Context) page {
	var p page
	var wg sync.WaitGroup
	wg.Go(func() { p.WorksErr = s.works.Do(ctx, http.MethodGet, "/works", "", nil, &p.Works) })
	wg.Go(func() { p.MessageErr = s.message.Do(ctx, http.MethodGet, "/announcements", "", nil, &p.Announcements) })
	wg.Wait()
	return p
}
