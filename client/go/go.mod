module github.com/objgate/objgate/client/go

go 1.19

// The versions Debian bookworm ships (golang-google-grpc-dev, golang-google-protobuf-dev),
// which go_offline.sh builds with offline; any later ones work too. With network access,
// `go mod tidy` adds the indirect requirements and go.sum.
require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
