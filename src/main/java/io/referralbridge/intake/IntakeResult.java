package io.referralbridge.intake;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.referralbridge.web.HttpAnswer;

/** What a webhook delivery produced: a new referral (202) or the one already stored for that event or code (200). */
public record IntakeResult(long referralId, String code, String state, boolean duplicate) implements HttpAnswer {

    @JsonIgnore
    @Override
    public int httpStatus() {
        return duplicate ? 200 : 202;
    }
}
