package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-units"
)

// ErrBuildFailed is wrapped by the error of a build whose Dockerfile failed
// (as opposed to an engine that could not be reached).
var ErrBuildFailed = errors.New("build failed")

// BuildSpec is one image build through the engine's classic builder.
type BuildSpec struct {
	Context    *BuildContext     // the files sent; see NewBuildContext
	Tags       []string          // the first is the service's image
	Args       map[string]string // build arguments
	Target     string
	Labels     map[string]string
	CacheFrom  []string
	Network    string
	ExtraHosts []string
	ShmSize    int64
	Ulimits    []string // NAME=SOFT[:HARD]
	Platform   string
	NoCache    bool
	Pull       bool
}

// BuildError is a failed build: the engine's message and the output of the
// step that failed.
type BuildError struct {
	Step   string   // "Step 3/5 : RUN make", or "" before the first step
	Output []string // what that step printed, last lines
	Msg    string   // the engine's error
}

func (e *BuildError) Error() string {
	var b strings.Builder
	if e.Step != "" {
		fmt.Fprintf(&b, "%s: ", e.Step)
	}
	b.WriteString(e.Msg)
	if len(e.Output) > 0 {
		b.WriteString("\n  | " + strings.Join(e.Output, "\n  | "))
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return ErrBuildFailed }

// maxStepOutput bounds the lines of a failed step kept in its BuildError.
const maxStepOutput = 30

// ImageBuild builds spec and tags the image with spec.Tags, passing each line
// the build prints to progress (when not nil). It returns the image ID.
func (d *Docker) ImageBuild(ctx context.Context, spec BuildSpec, progress func(line string)) (string, error) {
	opts, err := buildOptions(spec)
	if err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(spec.Context.WriteTar(pw)) }()
	defer pr.Close()
	resp, err := d.cli.ImageBuild(ctx, pr, opts)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", spec.Tags[0], d.mapErr(err, ErrNotFound))
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	id, err := readBuild(resp.Body, progress)
	if err != nil && ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("building %s: %w", spec.Tags[0], err)
	}
	if id == "" { // engines that do not report it: the tag says
		img, err := d.ImageInspect(ctx, spec.Tags[0])
		if err != nil {
			return "", fmt.Errorf("building %s: %w", spec.Tags[0], err)
		}
		id = img.ID
	}
	return id, nil
}

func buildOptions(spec BuildSpec) (build.ImageBuildOptions, error) {
	opts := build.ImageBuildOptions{
		Tags: spec.Tags, Dockerfile: spec.Context.Dockerfile, Target: spec.Target, Labels: spec.Labels,
		CacheFrom: spec.CacheFrom, NetworkMode: spec.Network, ExtraHosts: spec.ExtraHosts, ShmSize: spec.ShmSize,
		Platform: spec.Platform, NoCache: spec.NoCache, PullParent: spec.Pull, Remove: true, ForceRemove: true,
		Version: build.BuilderV1, BuildArgs: map[string]*string{},
	}
	for k, v := range spec.Args {
		opts.BuildArgs[k] = &v
	}
	for _, u := range spec.Ulimits {
		ul, err := units.ParseUlimit(u)
		if err != nil {
			return opts, fmt.Errorf("build ulimit %s: %w", u, err)
		}
		opts.Ulimits = append(opts.Ulimits, (*container.Ulimit)(ul))
	}
	return opts, nil
}

// buildMessage is the part of the classic builder's JSON stream used here.
type buildMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// readBuild follows a build's stream to its end: it returns the image ID
// ("" when the engine did not say), or a *BuildError with the output of the step that failed.
func readBuild(r io.Reader, progress func(string)) (string, error) {
	dec := json.NewDecoder(r)
	var id, step string
	var output []string
	for {
		var m buildMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("reading build output: %w", err)
		}
		if msg := m.errorText(); msg != "" {
			return "", &BuildError{Step: step, Output: output, Msg: msg}
		}
		var aux struct{ ID string }
		if len(m.Aux) > 0 && json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
			id = aux.ID
		}
		for _, line := range strings.Split(strings.TrimRight(m.Stream+m.Status, "\n"), "\n") {
			line = strings.TrimRight(line, "\r")
			if line == "" {
				continue
			}
			switch {
			case strings.HasPrefix(line, "Step "):
				step, output = line, nil
			case strings.HasPrefix(line, " ---> "), strings.HasPrefix(line, "Removing intermediate container "):
				// the builder's bookkeeping, not the step's output
			case len(output) < maxStepOutput:
				output = append(output, line)
			default:
				output = append(output[1:], line)
			}
			if progress != nil {
				progress(line)
			}
		}
	}
	return id, nil
}

func (m buildMessage) errorText() string {
	if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
		return m.ErrorDetail.Message
	}
	return m.Error
}
