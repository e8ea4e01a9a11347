// Command actorgate runs the actorgate gateway. See "actorgate help".
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
