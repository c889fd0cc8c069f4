package engine

// IPAMSpec is a network's address management.
type IPAMSpec struct {
	Driver  string
	Options map[string]string
	Pools   []IPAMPool
}

// IPAMPool is one subnet of a network.
type IPAMPool struct {
	Subnet       string
	Gateway      string
	IPRange      string
	AuxAddresses map[string]string
}

// EndpointSpec is a container's attachment to one more network.
type EndpointSpec struct {
	Network     string // engine name
	Aliases     []string
	IPv4Address string
	IPv6Address string
}

// FileSpec is a file copied into a container before it starts (secrets and
// configs whose content is not a host file).
type FileSpec struct {
	Path    string // absolute, in the container; missing parents are made
	Content string
	UID     int
	GID     int
	Mode    uint32 // permission bits
}
