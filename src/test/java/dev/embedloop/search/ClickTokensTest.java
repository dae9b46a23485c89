package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signing, verification, expiry and key rotation of {@link ClickTokens}. */
class ClickTokensTest {

    private static final byte[] OLD = "old-key-old-key-old-key-old-key-!".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEW = "new-key-new-key-new-key-new-key-!".getBytes(StandardCharsets.US_ASCII);
    private static final ClickTokens.Claims CLAIMS =
            new ClickTokens.Claims("q-1", List.of("a", "b", "c"), "model@2", 10_000);

    @Test
    void shouldVerifyWhatItSignedUntilItExpires() {
        ClickTokens tokens = ClickTokens.withKeys(NEW, null);
        String token = tokens.sign(CLAIMS);

        assertThat(token).startsWith("v1.").doesNotContain("=").doesNotContain("+").doesNotContain("/");
        assertThat(tokens.verify(token, 9_999)).isEqualTo(new ClickTokens.Verification.Valid(CLAIMS));
        assertThat(tokens.verify(token, 10_000)).isEqualTo(new ClickTokens.Verification.Expired(CLAIMS));
        assertThat(CLAIMS.rankOf("c")).isEqualTo(3);
        assertThat(CLAIMS.rankOf("z")).isZero();
    }

    @Test
    void shouldAcceptTokensOfThePreviousKeyDuringARotationOnly() {
        String signedWithOld = ClickTokens.withKeys(OLD, null).sign(CLAIMS);

        ClickTokens rotating = ClickTokens.withKeys(NEW, OLD);
        assertThat(rotating.verify(signedWithOld, 0)).isInstanceOf(ClickTokens.Verification.Valid.class);
        assertThat(ClickTokens.withKeys(OLD, null).verify(rotating.sign(CLAIMS), 0))
                .as("an instance not yet rotated cannot read the new key's tokens")
                .isInstanceOf(ClickTokens.Verification.Invalid.class);
        assertThat(ClickTokens.withKeys(NEW, null).verify(signedWithOld, 0))
                .as("after the rotation the old key is gone").isInstanceOf(ClickTokens.Verification.Invalid.class);
    }

    @Test
    void shouldLetEveryInstanceVerifyEveryOtherThroughoutTheThreeStepRotation() {
        // each step rolls out instance by instance, so neighbouring configurations run side by side
        List<ClickTokens> steps = List.of(ClickTokens.withKeys(OLD, null), ClickTokens.withKeys(OLD, NEW),
                ClickTokens.withKeys(NEW, OLD), ClickTokens.withKeys(NEW, null));
        for (int i = 0; i + 1 < steps.size(); i++) {
            ClickTokens before = steps.get(i);
            ClickTokens after = steps.get(i + 1);
            assertThat(after.verify(before.sign(CLAIMS), 0)).as("step %d → %d", i, i + 1)
                    .isInstanceOf(ClickTokens.Verification.Valid.class);
            assertThat(before.verify(after.sign(CLAIMS), 0)).as("step %d → %d", i + 1, i)
                    .isInstanceOf(ClickTokens.Verification.Valid.class);
        }
    }

    @Test
    void shouldRefuseAnAlteredPayloadAndNameTheClaimedQueryId() {
        ClickTokens tokens = ClickTokens.withKeys(NEW, null);
        String[] parts = tokens.sign(CLAIMS).split("\\.");
        String json = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String altered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(json.replace("10000", "99999999").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

        ClickTokens.Verification v = tokens.verify(altered, 0);

        assertThat(v).isInstanceOf(ClickTokens.Verification.Invalid.class);
        assertThat(((ClickTokens.Verification.Invalid) v).claimedQueryId()).isEqualTo("q-1");
        assertThat(((ClickTokens.Verification.Invalid) v).reason()).contains("signature does not match");
    }

    @Test
    void shouldRefuseMalformedTokens() {
        ClickTokens tokens = ClickTokens.withKeys(NEW, null);
        for (String token : List.of("", "v1", "v1.a", "v1.a.b.c", "v0.e30.AAAA", "v1.!!.??", "v1.e30.")) {
            assertThat(tokens.verify(token, 0)).as(token).isInstanceOf(ClickTokens.Verification.Invalid.class);
        }
    }

    @Test
    void shouldRefuseShortKeysAndTellRandomKeysApart() {
        assertThatThrownBy(() -> ClickTokens.withKeys("short".getBytes(StandardCharsets.US_ASCII), null))
                .hasMessageContaining("at least 32 bytes");
        assertThat(ClickTokens.randomKey().isProcessLocal()).isTrue();
        assertThat(ClickTokens.withKeys(NEW, OLD).isProcessLocal()).isFalse();
        assertThat(ClickTokens.randomKey().verify(ClickTokens.randomKey().sign(CLAIMS), 0))
                .as("two processes without a configured key do not share tokens")
                .isInstanceOf(ClickTokens.Verification.Invalid.class);
    }
}
