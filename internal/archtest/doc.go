// Package archtest holds tests that guard the architecture: the import
// graph of the layers in docs/architecture.md and a doc comment on every
// package.
package archtest
