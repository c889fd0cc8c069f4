package images

import "github.com/docker/docker/client"

var _ Client = (*client.Client)(nil)
