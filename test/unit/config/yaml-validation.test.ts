import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "../../../functions/config/problems.js";
import { parseYamlWith, type FieldIssue } from "../../../functions/config/yaml-validation.js";

const options = { example: "the example pets.yaml" };

function problemsFor(text: string, schema: z.ZodType, extraIssues?: (data: unknown) => FieldIssue[]): ConfigProblem[] {
  try {
    parseYamlWith(text, "pets.yaml", schema, { ...options, extraIssues });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseYamlWith on any object schema", () => {
  const pet = z.object({ name: z.string(), legs: z.number().default(4) }).strict();
  const pets = z.object({ pets: z.array(pet) }).strict();

  it("returns the parsed data with defaults", () => {
    expect(parseYamlWith("pets:\n  - name: rex\n", "pets.yaml", pets, options)).toEqual({ pets: [{ name: "rex", legs: 4 }] });
  });

  it("lists the allowed fields of the schema it was given", () => {
    const [problem] = problemsFor("pets:\n  - name: rex\n    lges: 3\n", pets);
    expect(problem).toMatchObject({ path: "pets[0]", line: 3, message: "has unknown field(s) `lges` (did you mean `legs`?); allowed fields here: name, legs" });
  });

  it("points at the example where the schema cannot say which fields are allowed", () => {
    const lazyPets = z.object({ pets: z.array(z.lazy(() => pet)) }).strict();
    const [problem] = problemsFor("pets:\n  - name: rex\n    lges: 3\n", lazyPets);
    expect(problem!.message).toBe("has unknown field(s) `lges`; see the example pets.yaml for the fields allowed here");
  });

  it("reports extra issues together with field errors, once each, in file order", () => {
    const duplicateNames = () => [{ path: ["pets", 1, "name"], message: "duplicates pets[0].name" }];
    const found = problemsFor("pets:\n  - name: rex\n  - name: rex\n  - legs: four\n", pets, duplicateNames);
    expect(found.map((p) => `${p.line} ${p.path} ${p.message}`)).toEqual([
      "3 pets[1].name duplicates pets[0].name",
      "4 pets[2].name is required: must be text (add `name:`, see the example pets.yaml)",
      "4 pets[2].legs must be a number",
    ]);
  });
});
