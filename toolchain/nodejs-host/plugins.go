package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageManifest is the part of a package.json this host reads. A package that ships a Pulumi
// resource plugin says so in its "pulumi" section (e.g. @pulumi/kubernetes:
// {"resource": true, "name": "kubernetes", "version": "4.25.0"}).
type packageManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Pulumi               struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readManifest(path string) (*packageManifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m packageManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// requiredPlugins walks the program's npm dependency graph from the package.json nearest to
// its directory, resolving each dependency as Node.js would, and returns the resource plugins
// the packages declare, sorted by name. Only the packages the program can load count, not
// whatever else lies in node_modules. A missing runtime dependency is an error (the program
// could not run); missing dev and optional dependencies are skipped.
func requiredPlugins(directory string) ([]*pulumirpc.PluginDependency, error) {
	rootManifest, err := nearestManifest(directory)
	if err != nil {
		return nil, err
	}
	root, err := readManifest(rootManifest)
	if err != nil {
		return nil, err
	}
	found := map[string]*pulumirpc.PluginDependency{}
	visited := map[string]bool{}
	var visit func(from string, m *packageManifest, includeDev bool) error
	visit = func(from string, m *packageManifest, includeDev bool) error {
		deps := []map[string]string{m.Dependencies, m.OptionalDependencies}
		if includeDev {
			deps = append(deps, m.DevDependencies)
		}
		for i, group := range deps {
			for _, name := range sortedKeys(group) {
				dir, ok := resolvePackage(from, name)
				if !ok {
					if i == 0 {
						return fmt.Errorf("%s depends on %s, which is not installed: run `npm install` in %s", m.Name, name, filepath.Dir(rootManifest))
					}
					continue
				}
				if visited[dir] {
					continue
				}
				visited[dir] = true
				dep, err := readManifest(filepath.Join(dir, "package.json"))
				if err != nil {
					return err
				}
				if plugin := pluginOf(dep); plugin != nil {
					found[plugin.Name+"@"+plugin.Version] = plugin
				}
				if err := visit(dir, dep, false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit(filepath.Dir(rootManifest), root, true); err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(found))
	for _, key := range sortedKeys(found) {
		plugins = append(plugins, found[key])
	}
	return plugins, nil
}

// pluginOf is the resource plugin a package declares, or nil.
func pluginOf(m *packageManifest) *pulumirpc.PluginDependency {
	if !m.Pulumi.Resource {
		return nil
	}
	name := m.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(m.Name, "@pulumi/")
	}
	version := m.Pulumi.Version
	if version == "" {
		version = m.Version
	}
	return &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: "v" + strings.TrimPrefix(version, "v"), Server: m.Pulumi.Server}
}

func nearestManifest(directory string) (string, error) {
	for dir := directory; ; dir = filepath.Dir(dir) {
		path := filepath.Join(dir, "package.json")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no package.json in %s or above it", directory)
		}
	}
}

// resolvePackage finds NAME in the node_modules of FROM or of a directory above it.
func resolvePackage(from, name string) (string, bool) {
	for dir := from; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "node_modules", filepath.FromSlash(name))
		if _, err := os.Stat(filepath.Join(candidate, "package.json")); err == nil {
			if real, err := filepath.EvalSymlinks(candidate); err == nil {
				return real, true // workspaces link packages: one visit per real directory
			}
			return candidate, true
		}
		if filepath.Dir(dir) == dir {
			return "", false
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
