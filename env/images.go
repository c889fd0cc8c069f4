package env

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
	"github.com/devenv-dev/devenv/images"
)

// Puller fetches images, reporting its own progress.
type Puller interface {
	Pull(ctx context.Context, reqs []images.Request) (map[string]images.Result, error)
}

// PullerFunc adapts a function to Puller.
type PullerFunc func(ctx context.Context, reqs []images.Request) (map[string]images.Result, error)

// Pull calls f.
func (f PullerFunc) Pull(ctx context.Context, reqs []images.Request) (map[string]images.Result, error) {
	return f(ctx, reqs)
}

// imagePolicy is how a run decides what to pull.
type imagePolicy struct {
	override string            // --pull: missing, always, never; "" = each service's
	dry      bool              // never pull
	pins     map[string]string // ref -> ref@digest from envs.lock
	puller   Puller            // nil: one by one through the engine
}

// ensureImages makes sure every selected service's image is present locally,
// pulling what the policy asks for in one batch, before anything is created:
// a failed pull leaves the running stack as it was. It returns image
// reference (as in envs.yaml) -> local image ID.
func ensureImages(ctx context.Context, eng engine.Engine, p *config.Project, selected []string, pol imagePolicy, rep Reporter) (map[string]string, error) {
	ids := map[string]string{}
	var reqs []images.Request
	byRef := map[string]int{} // pull ref -> index in reqs
	var errs []error
	for _, name := range selected {
		s := p.Services[name]
		ref := pinned(pol.pins, s.Image)
		policy := s.PullPolicy
		if pol.override != "" {
			policy = pol.override
		}
		img, err := eng.ImageInspect(ctx, ref)
		present := err == nil
		switch {
		case err != nil && !errors.Is(err, engine.ErrImageNotFound):
			return nil, err
		case !present && policy == "never":
			errs = append(errs, fmt.Errorf("service %s: image %s is not present locally and pull_policy is never; pull it or change the policy: %w", name, ref, engine.ErrImageNotFound))
			continue
		case pol.dry || !(policy == "always" || !present):
			ids[s.Image] = img.ID
			continue
		}
		if i, ok := byRef[ref]; ok {
			reqs[i].Services = append(reqs[i].Services, name)
			continue
		}
		byRef[ref] = len(reqs)
		reqs = append(reqs, images.Request{Ref: ref, Services: []string{name}})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return ids, nil
	}
	got, err := pullAll(ctx, eng, pol.puller, reqs, rep)
	if err != nil {
		return nil, err
	}
	for _, name := range selected {
		s := p.Services[name]
		if r, ok := got[pinned(pol.pins, s.Image)]; ok {
			ids[s.Image] = r.ImageID
		}
	}
	return ids, nil
}

func pinned(pins map[string]string, ref string) string {
	if p, ok := pins[ref]; ok {
		return p
	}
	return ref
}

// pullAll pulls with the given puller, or one by one through the engine.
func pullAll(ctx context.Context, eng engine.Engine, puller Puller, reqs []images.Request, rep Reporter) (map[string]images.Result, error) {
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Ref < reqs[j].Ref })
	if puller != nil {
		return puller.Pull(ctx, reqs)
	}
	out := map[string]images.Result{}
	var errs []error
	for _, r := range reqs {
		emit(rep, KindImage, r.Ref, StatusPulling, "")
		err := eng.ImagePull(ctx, r.Ref)
		var img engine.Image
		if err == nil {
			img, err = eng.ImageInspect(ctx, r.Ref)
		}
		if err != nil {
			emit(rep, KindImage, r.Ref, StatusFailed, err.Error())
			errs = append(errs, fmt.Errorf("service %v: image %s: %w", r.Services, r.Ref, err))
			continue
		}
		emit(rep, KindImage, r.Ref, StatusPulled, short(img.ID))
		out[r.Ref] = images.Result{ImageID: img.ID}
	}
	return out, errors.Join(errs...)
}

// PullOptions configures Pull.
type PullOptions struct {
	Services []string          // none: every service of the configuration
	Puller   Puller            // nil: one by one through the engine
	Pins     map[string]string // from envs.lock
	Progress Reporter
}

// Pull refreshes the services' images without touching any container. The
// next Up recreates exactly the services whose image changed.
func Pull(ctx context.Context, eng engine.Engine, p *config.Project, opts PullOptions) error {
	names := opts.Services
	if len(names) == 0 {
		names = p.ActiveServices() // as Compose, not the services of disabled profiles
	}
	if _, err := p.Closure(names); err != nil { // names unknown services, with a suggestion
		return err
	}
	_, err := ensureImages(ctx, eng, p, withoutBuild(p, names), imagePolicy{override: "always", pins: opts.Pins, puller: opts.Puller}, reporterOr(opts.Progress))
	return err
}
