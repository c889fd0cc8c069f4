package env

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/devenv-dev/devenv/env/config"
	"github.com/devenv-dev/devenv/env/engine"
)

// syncPaths copies the changed host paths of rule r into container id at
// r.Target, and removes there those that are gone from the host (with the
// container's own rm, which the image must have). It returns how many
// files it copied or removed.
func syncPaths(ctx context.Context, eng engine.Engine, id string, r config.WatchRule, paths []string) (int, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var gone []string
	n, entries := 0, 0
	for _, p := range paths {
		dest, ok := containerPath(r, p)
		if !ok {
			continue
		}
		fi, err := os.Lstat(p)
		if os.IsNotExist(err) {
			gone = append(gone, dest)
			continue
		}
		if err != nil {
			return n, fmt.Errorf("syncing %s: %w", p, err)
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
			continue // sockets, pipes and devices are not synced
		}
		if err := addToTar(tw, p, dest, fi); err != nil {
			return n, fmt.Errorf("syncing %s: %w", p, err)
		}
		entries++
		if !fi.IsDir() {
			n++
		}
	}
	if err := tw.Close(); err != nil {
		return n, err
	}
	if entries > 0 {
		if err := eng.CopyToContainer(ctx, id, "/", &buf); err != nil {
			return n, err
		}
	}
	if len(gone) > 0 {
		if err := removeInContainer(ctx, eng, id, gone); err != nil {
			return n, err
		}
		n += len(gone)
	}
	return n, nil
}

// containerPath is where host path p goes in the container: the target
// itself for a rule on one file, else the target joined with p's path
// under the rule's.
func containerPath(r config.WatchRule, p string) (string, bool) {
	if p == r.Path {
		return r.Target, true
	}
	rel, err := filepath.Rel(r.Path, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return path.Join(r.Target, filepath.ToSlash(rel)), true
}

// addToTar writes one file, directory or symbolic link, named by its
// container path relative to /.
func addToTar(tw *tar.Writer, src, dest string, fi os.FileInfo) error {
	link := ""
	if fi.Mode()&os.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(src); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	h.Name = strings.TrimPrefix(dest, "/")
	h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
	if fi.IsDir() {
		h.Name += "/"
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(tw, f, h.Size)
	return err
}

// removeInContainer removes paths in the container. The engine's API
// cannot delete files, so this runs rm there.
func removeInContainer(ctx context.Context, eng engine.Engine, id string, paths []string) error {
	sort.Strings(paths)
	code, out, err := eng.ContainerExec(ctx, id, append([]string{"rm", "-rf", "--"}, paths...))
	if err != nil {
		return fmt.Errorf("removing %s in the container (the image needs rm for deletions to be synced): %w", strings.Join(paths, ", "), err)
	}
	if code != 0 {
		return fmt.Errorf("removing %s in the container (the image needs rm for deletions to be synced): rm exited with %d: %s", strings.Join(paths, ", "), code, clip(strings.TrimSpace(out), 200))
	}
	return nil
}

// execAfterSync runs a sync+exec rule's command in the container.
func execAfterSync(ctx context.Context, eng engine.Engine, id string, x *config.WatchExec) error {
	if x == nil {
		return nil
	}
	var env []string
	for k, v := range x.Environment {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	var out bytes.Buffer
	code, err := eng.ExecInteractive(ctx, id, engine.ExecOptions{
		Cmd: x.Command, User: x.User, WorkingDir: x.WorkingDir, Privileged: x.Privileged, Env: env,
		Stdout: &out, Stderr: &out,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("%s exited with %d: %s", strings.Join(x.Command, " "), code, clip(strings.TrimSpace(out.String()), 200))
	}
	return nil
}
