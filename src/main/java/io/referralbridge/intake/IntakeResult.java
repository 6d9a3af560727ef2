package io.referralbridge.intake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.referralbridge.web.HttpAnswer;

/**
 * What a webhook delivery produced: a new referral (202), the one already stored for that event or code (200), or a
 * code another platform's referral holds already (409, with {@code error} and {@code detail}; nothing stored).
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record IntakeResult(long referralId, String code, String state, boolean duplicate, String error,
                           String detail) implements HttpAnswer {

    public IntakeResult(long referralId, String code, String state, boolean duplicate) {
        this(referralId, code, state, duplicate, null, null);
    }

    /** The code is another platform's referral: refused, so that neither is taken for the other. */
    static IntakeResult codeOfAnotherPlatform(String code, String platform) {
        return new IntakeResult(0, code, null, false, "code_taken", "Code '" + code + "' belongs to a referral of "
                + "platform " + platform + "; a referral's code must be unique across the platforms of this bridge");
    }

    @JsonIgnore
    @Override
    public int httpStatus() {
        return error != null ? 409 : duplicate ? 200 : 202;
    }
}
