import { describeDemoOnEngine } from "./demo-engine.js";

describeDemoOnEngine("docker", () => ({}));
