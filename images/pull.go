package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/image"
)

// DefaultParallel is how many images Pull pulls at once unless told.
const DefaultParallel = 4

// PullOptions configure Pull.
type PullOptions struct {
	Parallel    int         // images pulled at once; 0 means DefaultParallel
	Progress    Reporter    // receives Events; may be nil
	Credentials Credentials // nil means DockerConfig()
	Platform    string      // os/arch[/variant] to pull; "" lets the engine choose
}

// Pull pulls the requested images through the engine, at most
// opts.Parallel at once, reporting aggregated progress per image. Requests
// for the same Ref are pulled once, for all their services.
//
// It returns the images that were pulled, by Ref, and every failure joined:
// each a *PullError. When ctx ends, the pulls stop and the error is ctx's
// cause.
func Pull(ctx context.Context, c Client, reqs []Request, opts PullOptions) (map[string]Result, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.Credentials == nil {
		opts.Credentials = DockerConfig()
	}
	p := &puller{c: c, opts: opts, slots: make(chan struct{}, opts.Parallel)}
	var (
		mu      sync.Mutex
		results = map[string]Result{} // guarded by mu
		errs    []error               // guarded by mu
		wg      sync.WaitGroup
	)
	for _, req := range dedupe(reqs) {
		wg.Go(func() {
			res, err := p.pull(ctx, req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			results[req.Ref] = res
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return results, fmt.Errorf("pulling images: %w", context.Cause(ctx))
	}
	return results, errors.Join(errs...)
}

// dedupe merges requests for the same Ref, keeping the first-seen order and
// a sorted set of services.
func dedupe(reqs []Request) []Request {
	var out []Request
	index := map[string]int{}
	for _, r := range reqs {
		i, seen := index[r.Ref]
		if !seen {
			index[r.Ref] = len(out)
			out = append(out, Request{Ref: r.Ref})
			i = len(out) - 1
		}
		out[i].Services = append(out[i].Services, r.Services...)
	}
	for i := range out {
		slices.Sort(out[i].Services)
		out[i].Services = slices.Compact(out[i].Services)
	}
	return out
}

type puller struct {
	c     Client
	opts  PullOptions
	slots chan struct{} // one token per running pull
}

func (p *puller) report(e Event) {
	if p.opts.Progress != nil {
		p.opts.Progress.ReportPull(e)
	}
}

// pull pulls one image once a slot is free.
func (p *puller) pull(ctx context.Context, req Request) (Result, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		p.report(Event{Time: time.Now(), Image: req.Ref, Services: req.Services, Status: StatusWaiting})
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return Result{}, p.canceled(ctx, req)
		}
	}
	defer func() { <-p.slots }()
	res, err := p.pullInSlot(ctx, req)
	if ctx.Err() != nil {
		return Result{}, p.canceled(ctx, req)
	}
	if err != nil {
		p.report(Event{Time: time.Now(), Image: req.Ref, Services: req.Services, Status: StatusFailed, Error: err.Error()})
	}
	return res, err
}

func (p *puller) canceled(ctx context.Context, req Request) error {
	err := context.Cause(ctx)
	p.report(Event{Time: time.Now(), Image: req.Ref, Services: req.Services, Status: StatusFailed, Error: err.Error()})
	return err
}

// pullInSlot pulls req; the caller holds a slot.
func (p *puller) pullInSlot(ctx context.Context, req Request) (Result, error) {
	prog := newProgress(req.Ref, req.Services)
	e, _ := prog.event(time.Now())
	p.report(e)
	auth, err := p.opts.Credentials.Lookup(RegistryHost(req.Ref))
	if err != nil {
		return Result{}, &PullError{Image: req.Ref, Services: req.Services, Kind: ErrPull, Detail: err.Error()}
	}
	body, err := p.c.ImagePull(ctx, req.Ref, image.PullOptions{RegistryAuth: EncodeAuth(auth), Platform: p.opts.Platform})
	if err != nil {
		return Result{}, newPullError(req.Ref, req.Services, err.Error(), auth)
	}
	defer body.Close()
	if msg, err := p.follow(body, prog); err != nil {
		return Result{}, &PullError{Image: req.Ref, Services: req.Services, Kind: ErrPull, Detail: "reading the engine's progress: " + redact(err.Error(), auth)}
	} else if msg != "" {
		return Result{}, newPullError(req.Ref, req.Services, msg, auth)
	}
	res, err := p.inspect(ctx, req.Ref, prog.digest)
	if err != nil {
		return Result{}, &PullError{Image: req.Ref, Services: req.Services, Kind: ErrPull, Detail: err.Error()}
	}
	p.report(prog.final(time.Now()))
	return res, nil
}

// follow reads the engine's stream into prog, reporting events, until the
// end or an error message, which it returns.
func (p *puller) follow(body io.Reader, prog *progress) (string, error) {
	dec := json.NewDecoder(body)
	for {
		var m jsonMessage
		if err := dec.Decode(&m); err == io.EOF {
			return "", nil
		} else if err != nil {
			return "", err
		}
		if msg := m.errorText(); msg != "" {
			return msg, nil
		}
		prog.apply(&m)
		if e, ok := prog.event(time.Now()); ok {
			p.report(e)
		}
	}
}

// inspect finds the pulled image. Its digest is the one in ref, else the
// one the stream announced, else the repository's in RepoDigests.
func (p *puller) inspect(ctx context.Context, ref, streamDigest string) (Result, error) {
	info, err := p.c.ImageInspect(ctx, ref)
	if err != nil {
		return Result{}, fmt.Errorf("inspecting the pulled image: %w", err)
	}
	res := Result{ImageID: info.ID, Digest: streamDigest}
	if _, d, ok := strings.Cut(ref, "@"); ok {
		res.Digest = d
	}
	if res.Digest == "" {
		res.Digest = RepoDigest(ref, info.RepoDigests)
	}
	return res, nil
}

// RepoDigest picks the digest of ref's repository from an image's
// RepoDigests ("repo@sha256:…"), or "". Docker Hub names match in any form.
func RepoDigest(ref string, repoDigests []string) string {
	want := repository(ref)
	for _, rd := range repoDigests {
		name, d, ok := strings.Cut(rd, "@")
		if ok && repository(name) == want {
			return d
		}
	}
	return ""
}

// repository is ref's repository without tag or digest, with Docker Hub
// names in their short form ("redis", "team/app").
func repository(ref string) string {
	name, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	if RegistryHost(name) != HubHost {
		return name
	}
	for _, prefix := range []string{"docker.io/", "index.docker.io/", "registry-1.docker.io/"} {
		name = strings.TrimPrefix(name, prefix)
	}
	return strings.TrimPrefix(name, "library/")
}
