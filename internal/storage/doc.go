// Package storage defines Gatehouse's persistent entities and the Store
// contract every backend implements.
//
// Entities are plain structs. Every method takes the tenant id and filters on
// it: no call can read or write across tenants. Backends report missing rows
// as ErrNotFound and unique-constraint violations as a *ConflictError naming
// the field, so services map categories, never driver errors.
//
// The conformance suite in storagetest runs the same tests on every backend.
package storage
