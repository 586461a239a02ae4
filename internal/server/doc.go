// Package server wires Gatehouse together: it opens the store, checks the
// secret key, builds the services, applies bootstrap settings, mounts every
// route behind the common middleware and runs the HTTP server until
// SIGTERM, then drains.
//
// App (app.go) is the part without HTTP, shared by serve and the CLI
// commands that act on the database directly.
package server
