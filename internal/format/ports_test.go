package format

import "testing"

func TestPorts(t *testing.T) {
	tests := []struct {
		name string
		ps   []Port
		want string
	}{
		{"none", nil, ""},
		{"every address, v4 and v6 once", []Port{{HostIP: "0.0.0.0", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
			{HostIP: "::", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}, "8080->80"},
		{"loopback only says so", []Port{{HostIP: "127.0.0.1", HostPort: 5432, ContainerPort: 5432, Protocol: "tcp"}}, "127.0.0.1:5432->5432"},
		{"udp", []Port{{HostIP: "10.0.0.1", HostPort: 5353, ContainerPort: 53, Protocol: "udp"}}, "10.0.0.1:5353->53/udp"},
		{"not published", []Port{{ContainerPort: 9000, Protocol: "tcp"}}, "9000"},
		{"several", []Port{{HostPort: 80, ContainerPort: 80}, {HostPort: 443, ContainerPort: 443}}, "80->80,443->443"},
	}
	for _, tt := range tests {
		if got := Ports(tt.ps); got != tt.want {
			t.Errorf("%s: Ports = %q, want %q", tt.name, got, tt.want)
		}
	}
}
