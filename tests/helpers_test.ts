import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { withEnv } from "./_helpers.ts";

const A = "EDEGAN_WITH_ENV_TEST_A";
const B = "EDEGAN_WITH_ENV_TEST_B";

Deno.test("withEnv sets and removes variables and puts back what was there, on return and on throw", async () => {
  Deno.env.set(A, "outer");
  Deno.env.delete(B);
  try {
    const seen = withEnv({ [A]: undefined, [B]: "inner" }, () => {
      const during = [Deno.env.get(A), Deno.env.get(B)];
      Deno.env.set(A, "changed inside");
      return during;
    });
    assertEquals(seen, [undefined, "inner"]);
    assertEquals([Deno.env.get(A), Deno.env.get(B)], ["outer", undefined]);
    assertThrows(
      () =>
        withEnv({ [A]: "x", [B]: "y" }, () => {
          throw new Error("boom");
        }),
      Error,
      "boom",
    );
    assertEquals([Deno.env.get(A), Deno.env.get(B)], ["outer", undefined]);
    // An async fn: restored when its promise settles, not when it is returned.
    let inside: string | undefined;
    await assertRejects(
      () =>
        withEnv({ [A]: "async" }, async () => {
          await Promise.resolve();
          inside = Deno.env.get(A);
          throw new Error("late");
        }),
      Error,
      "late",
    );
    assertEquals([inside, Deno.env.get(A)], ["async", "outer"]);
  } finally {
    Deno.env.delete(A);
    Deno.env.delete(B);
  }
});
