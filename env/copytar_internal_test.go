package env

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRetopTar(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	for _, h := range []tar.Header{
		{Name: "real/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "real/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2},
		{Name: "real/h", Typeflag: tar.TypeLink, Linkname: "real/f"},
		{Name: "realistic", Typeflag: tar.TypeReg, Mode: 0o644},
	} {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write([]byte("hi"))
		}
	}
	_ = tw.Close()
	var out bytes.Buffer
	if err := retopTar(&in, &out, "real", "link"); err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		got = append(got, h.Name+" "+h.Linkname+" "+string(body))
	}
	want := []string{"link/  ", "link/f  hi", "link/h link/f ", "realistic  "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
