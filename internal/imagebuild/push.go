package imagebuild

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push uploads img to the registry named in ref, a tag such as
// "127.0.0.1:5000/devenv-example/web:dev", and returns the manifest digest
// the registry now serves under that tag. Blobs the registry already holds
// are not sent again.
//
// A registry on a loopback host (localhost, 127.0.0.0/8, ::1) is spoken to
// over plain HTTP, as the Docker Engine does by default; any other registry
// over HTTPS. Push sends no credentials.
func Push(ctx context.Context, img v1.Image, ref string) (digest string, err error) {
	var opts []name.Option
	if loopback(ref) {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref, opts...)
	if err != nil {
		return "", fmt.Errorf("pushing image: parsing tag %q: %w", ref, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("computing digest of %s: %w", ref, err)
	}
	return d.String(), nil
}

// loopback reports whether ref's registry host is this machine. It looks
// at the text before the first slash, so a ref without a registry
// ("devenv-example/web:dev", Docker Hub) is not loopback.
func loopback(ref string) bool {
	host, _, ok := strings.Cut(ref, "/")
	if !ok {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
