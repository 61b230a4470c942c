// dataplane-s3: an S3-protocol server on loopback for the dataplane tier, so
// the rendered backup, listing and restore scripts run with the real AWS CLI
// against a real S3 wire protocol (signatures are accepted, not checked:
// gofakes3 keeps no users). Objects live in memory and go with the process.
//
//	dataplane-s3 -addr 127.0.0.1:9000 -bucket backups -bucket other
//
// It prints "dataplane-s3 listening on ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

type buckets []string

func (b *buckets) String() string     { return strings.Join(*b, ",") }
func (b *buckets) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "host:port to listen on")
	var names buckets
	flag.Var(&names, "bucket", "a bucket to create at start (repeatable)")
	flag.Parse()

	backend := s3mem.New()
	for _, name := range names {
		if err := backend.CreateBucket(name); err != nil {
			log.Fatalf("dataplane-s3: bucket %s: %v", name, err)
		}
	}
	// Path-style only (the AWS CLI uses it for an IP endpoint); a missing bucket is an error, as on S3.
	faker := gofakes3.New(backend, gofakes3.WithAutoBucket(false))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("dataplane-s3: %v", err)
	}
	fmt.Fprintf(os.Stdout, "dataplane-s3 listening on %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, faker.Server()))
}
