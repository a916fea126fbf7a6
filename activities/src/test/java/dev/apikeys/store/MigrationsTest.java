package dev.apikeys.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MigrationsTest {
  @Test
  void createsMedusaApiKeyTable() {
    TestDatabase db = TestDatabase.create();
    Integer n =
        db.jdbi().withHandle(h -> h.createQuery("select count(*) from api_key").mapTo(Integer.class).one());
    assertThat(n).isZero();
  }
}
