// testcontainers on this kind of machine: no Ryuk (its image cannot be pulled) and the
// engine's containers are reached on localhost (host networking under --bridge=none).
process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE = "localhost";
