package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runBareHTTP is the hidden subcommand "barehttp": a plain net/http server
// that answers GET /jwks and GET /discovery with fixed bytes (the ones
// Gatehouse serves), the ceiling for a document served from memory.
func runBareHTTP(args []string) error {
	fs := flag.NewFlagSet("ghbench barehttp", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	jwks := fs.String("jwks", "", "file with the body of /jwks")
	disc := fs.String("discovery", "", "file with the body of /discovery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bodies := map[string][]byte{}
	for path, file := range map[string]string{"/jwks": *jwks, "/discovery": *disc} {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		bodies[path] = b
	}
	mux := http.NewServeMux()
	// Its allocation counters, in the Prometheus text form Gatehouse's
	// /metrics uses, for the allocations-per-request column.
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(w, "go_memstats_mallocs_total %d\ngo_memstats_alloc_bytes_total %d\n", ms.Mallocs, ms.TotalAlloc)
	})
	for path, body := range bodies {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "barehttp listening on %s\n", ln.Addr())
	return http.Serve(ln, mux)
}

// bareServer is the harness's bare net/http server, run as a child
// process so that it has the machine to itself as any other server does.
type bareServer struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func startBare(ctx context.Context, dir string, jwks, discovery []byte) (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	jf, df := dir+"/bare-jwks.json", dir+"/bare-discovery.json"
	if err := os.WriteFile(jf, jwks, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(df, discovery, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(self, "barehttp", "--addr", addr, "--jwks", jf, "--discovery", df)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &bareServer{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() { cmd.Wait(); close(b.done) }()
	if err := waitHTTP(ctx, b.base+"/jwks", 0, b.done, 10*time.Second); err != nil {
		b.stop()
		return nil, fmt.Errorf("bare net/http server: %w", err)
	}
	return b, nil
}

func (b *bareServer) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// signRate measures how many JWS signatures of alg ("RS256" with a
// 2048-bit key, or "ES256") this machine makes per second on all its
// cores, with the calls Gatehouse's keys package makes, and the CPU time
// one signature took (which other programs on the cores disturb less).
func signRate(alg string, d time.Duration) (float64, time.Duration, error) {
	var sign func(digest []byte) error
	switch alg {
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return 0, 0, err
		}
		sign = func(digest []byte) error {
			_, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest)
			return err
		}
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return 0, 0, err
		}
		sign = func(digest []byte) error {
			_, _, err := ecdsa.Sign(rand.Reader, k, digest)
			return err
		}
	default:
		return 0, 0, fmt.Errorf("unknown algorithm %q", alg)
	}
	digest := sha256.Sum256([]byte(`{"iss":"http://127.0.0.1/api/v1/oauth2","sub":"bench"}`))
	var n atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0, cpuErr := procCPU(os.Getpid(), false)
	start := time.Now()
	end := start.Add(d)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if err := sign(digest[:]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	cpu1, cpuErr2 := procCPU(os.Getpid(), false)
	if err, ok := firstErr.Load().(error); ok {
		return 0, 0, err
	}
	if n.Load() == 0 {
		return 0, 0, errors.New("no signature made")
	}
	var per time.Duration
	if cpuErr == nil && cpuErr2 == nil {
		per = (cpu1 - cpu0) / time.Duration(n.Load())
	}
	return float64(n.Load()) / took.Seconds(), per, nil
}
