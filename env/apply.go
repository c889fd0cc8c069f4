package env

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// errRunOver ends what a run started in the background once it returns.
var errRunOver = errors.New("the run is over")

// stopTimeout is how long a container gets to stop before it is killed.
const stopTimeout = 10 * time.Second

// run is one application of a plan.
type run struct {
	eng       engine.Engine
	plan      *Plan
	rep       Reporter
	states    map[string]*serviceState // by service; fixed before goroutines start
	byID      sync.Map                 // container ID -> *serviceState
	mu        sync.Mutex
	skip      map[string]string // guarded by mu: service -> reason
	streamErr error             // guarded by mu: why the event stream broke
	lost      *signal           // fired when the event stream broke
	networkID string            // set by prepare, before any container is created
}

func (r *run) streamError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streamErr
}

// interrupted reports whether ctx ended because the user stopped the run
// (Ctrl-C), as opposed to a timeout: then nobody is blamed.
func interrupted(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), context.Canceled)
}

// stream is a subscription to the project's engine events.
type stream struct {
	ctx    context.Context // ends the subscription
	events <-chan engine.Event
	errs   <-chan error
}

func apply(ctx context.Context, eng engine.Engine, plan *Plan, wait bool, rep Reporter, ev stream) error {
	// Probes and rechecks end with the run, also for services nobody awaited.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errRunOver)
	r := &run{eng: eng, plan: plan, rep: rep, states: map[string]*serviceState{}, skip: map[string]string{}, lost: newSignal()}
	for _, s := range plan.Steps {
		r.states[s.Service] = newServiceState(s.Service)
	}
	for _, st := range plan.Steps {
		if st.Action == ActionKeep {
			s := r.states[st.Service]
			r.track(s, st.Existing.ID)
			r.observeKept(ctx, st, s)
		}
	}
	// Events queued since the observation are applied only now that kept
	// containers are tracked.
	go r.follow(ev.ctx, ev.events, ev.errs)
	if err := r.prepare(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, s := range plan.Steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.service(ctx, s, wait)
		}()
	}
	wg.Wait()
	if interrupted(ctx) {
		return context.Cause(ctx)
	}
	if err := r.result(); err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return err // ended (timed out) with nobody to blame: never report success
	}
	return nil
}

// prepare removes orphans and duplicates, and creates the network and volumes.
func (r *run) prepare(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(r.plan.Remove))
	for i, c := range r.plan.Remove {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit(r.rep, KindService, c.Service, StatusRemoving, "orphan container "+c.Name)
			errs[i] = removeContainer(ctx, r.eng, c)
			if errs[i] == nil {
				emit(r.rep, KindService, c.Service, StatusRemoved, "orphan container "+c.Name)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing orphans: %w", err)
	}
	for _, n := range r.plan.RemoveNetworks {
		// Best effort: a duplicate still in use by a container stays; the
		// engine refuses to create new duplicates.
		_ = r.eng.NetworkRemove(ctx, n.ID)
	}
	labels := map[string]string{engine.LabelProject: r.plan.Project, engine.LabelVersion: labelsVersion}
	r.networkID = r.plan.NetworkID
	if r.plan.CreateNetwork {
		emit(r.rep, KindNetwork, r.plan.Network, StatusCreating, "")
		if err := r.createNetwork(ctx, labels); err != nil {
			return err
		}
		emit(r.rep, KindNetwork, r.plan.Network, StatusCreated, "")
	}
	for _, v := range r.plan.CreateVolumes {
		vl := map[string]string{engine.LabelVolume: strings.TrimPrefix(v, r.plan.Project+"_")}
		for k, val := range labels {
			vl[k] = val
		}
		if err := r.eng.VolumeCreate(ctx, engine.VolumeSpec{Name: v, Labels: vl}); err != nil {
			return fmt.Errorf("creating volume %s: %w", v, err)
		}
		emit(r.rep, KindVolume, v, StatusCreated, "")
	}
	return nil
}

// createNetwork creates the project network and settles on one network of
// that name: the engine lets an interrupted run's create finish after our
// observation, and two networks of one name make attaching by name fail.
// Containers are attached by ID; the lowest ID wins, the others are removed.
func (r *run) createNetwork(ctx context.Context, labels map[string]string) error {
	if _, err := r.eng.NetworkCreate(ctx, engine.NetworkSpec{Name: r.plan.Network, Labels: labels}); err != nil && !errors.Is(err, engine.ErrConflict) {
		return fmt.Errorf("creating network %s: %w", r.plan.Network, err)
	}
	obs, err := r.eng.Observe(ctx, r.plan.Project)
	if err != nil {
		return err
	}
	for _, n := range sortedNetworks(obs.Networks) {
		if n.Name != r.plan.Network {
			continue
		}
		if r.networkID == "" {
			r.networkID = n.ID
			continue
		}
		_ = r.eng.NetworkRemove(ctx, n.ID) // best effort, as for planned duplicates
	}
	if r.networkID == "" {
		return fmt.Errorf("a network named %s exists but devenv did not create it (it has no %s label); remove it with docker network rm %s, or choose another project name", r.plan.Network, engine.LabelProject, r.plan.Network)
	}
	return nil
}

func removeContainer(ctx context.Context, eng engine.Engine, c engine.Container) error {
	if err := eng.ContainerStop(ctx, c.ID, graceFor(c, 0)); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return err
	}
	if err := eng.ContainerRemove(ctx, c.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return err
	}
	return nil
}

// service runs one step: wait for dependencies, act, then wait for readiness.
func (r *run) service(ctx context.Context, st Step, wait bool) {
	s := r.states[st.Service]
	var created <-chan createResult
	if st.Action == ActionCreate {
		// Creating needs no dependency: do it while they come up, as compose
		// does, so only the start is on the dependency chain.
		created = r.createEarly(ctx, st, s)
	}
	if err := r.waitDeps(ctx, st); err != nil {
		var de *errDependency
		switch {
		case errors.As(err, &de):
			r.skipped(st.Service, de.Error())
		case !interrupted(ctx):
			r.skipped(st.Service, "still waiting for its dependencies when the run ended ("+err.Error()+")")
		}
		s.failed.fire()
		return
	}
	var err error
	if created != nil {
		res := <-created
		if err = res.err; err == nil {
			err = r.start(ctx, st, s, res.id)
		}
	} else {
		err = r.act(ctx, st, s)
	}
	if err != nil {
		switch {
		case ctx.Err() == nil:
			r.culprit(ctx, s, err.Error())
		case !interrupted(ctx):
			r.culprit(ctx, s, "did not become ready in time ("+context.Cause(ctx).Error()+")")
		}
		s.failed.fire()
		return
	}
	if wait || r.isDependedOn(st.Service) {
		r.await(ctx, st, s)
	}
}

type createResult struct {
	id  string
	err error
}

// createEarly creates a new service's container in the background.
func (r *run) createEarly(ctx context.Context, st Step, s *serviceState) <-chan createResult {
	out := make(chan createResult, 1)
	go func() {
		emit(r.rep, KindService, st.Service, StatusCreating, "")
		id, err := r.create(ctx, st.Desired.Spec)
		if err == nil {
			r.track(s, id)
			emit(r.rep, KindService, st.Service, StatusCreated, short(id))
		}
		out <- createResult{id, err}
	}()
	return out
}

func (r *run) waitDeps(ctx context.Context, st Step) error {
	deps := make([]string, 0, len(st.Desired.Deps))
	for d := range st.Desired.Deps {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	for _, d := range deps {
		cond := st.Desired.Deps[d]
		ds := r.states[d]
		if ds == nil {
			return &errDependency{d, "is not part of this run"}
		}
		if !met(ds, cond) {
			emit(r.rep, KindService, st.Service, StatusWaiting, "for "+d+" to "+conditionVerb[cond])
		}
		if err := ds.wait(ctx, cond); err != nil {
			return err
		}
	}
	return nil
}

var conditionVerb = map[config.Condition]string{
	config.ServiceStarted:               "start",
	config.ServiceHealthy:               "be healthy",
	config.ServiceCompletedSuccessfully: "complete",
}

func met(s *serviceState, cond config.Condition) bool {
	switch cond {
	case config.ServiceHealthy:
		return s.healthy.fired()
	case config.ServiceCompletedSuccessfully:
		return s.exited.fired() && s.code() == 0
	}
	return s.started.fired()
}

func (r *run) isDependedOn(name string) bool {
	for _, st := range r.plan.Steps {
		if _, ok := st.Desired.Deps[name]; ok {
			return true
		}
	}
	return false
}

func (r *run) skipped(service, reason string) {
	r.mu.Lock()
	r.skip[service] = reason
	r.mu.Unlock()
	emit(r.rep, KindService, service, StatusSkipped, reason)
}

// result gathers culprits and skipped services into an *UpError.
func (r *run) result() error {
	var failed []*ServiceError
	for _, st := range r.plan.Steps {
		if e := r.states[st.Service].failure(); e != nil {
			failed = append(failed, e)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(failed) == 0 && len(r.skip) == 0 {
		return nil
	}
	return &UpError{Failed: failed, Skipped: r.skip}
}
