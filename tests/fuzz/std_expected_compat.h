// std::expected for the fuzz build only. libFuzzer needs clang, and the clang on Debian 12
// (14) cannot use libstdc++ 12's <expected>: that header is empty unless __cpp_concepts >=
// 202002L (conditionally trivial special members, clang 16+). tests/fuzz/CMakeLists.txt
// force-includes this file into every fuzzed translation unit; when the standard library
// provides std::expected it does nothing.
//
// It covers what tandem's parsers use: expected<T, E> and expected<void, E> built from a value,
// from std::unexpected(e) (with conversion of the error type, e.g. const char* to std::string)
// or by default; has_value / operator bool, operator* and ->, error(). Values live in a
// std::variant (index 0 value, 1 error), so T and E may be the same type.
#pragma once

#include <version>

#if !defined(__cpp_lib_expected)

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace std {

template <class E>
class unexpected {
 public:
  template <class Err = E>
  requires(!is_same_v<remove_cvref_t<Err>, unexpected> &&
           is_constructible_v<E, Err>) constexpr explicit unexpected(Err&& e)
      : error_(std::forward<Err>(e)) {}

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

namespace tandem_expected_detail {
template <class U>
inline constexpr bool kIsUnexpected = false;
template <class E>
inline constexpr bool kIsUnexpected<unexpected<E>> = true;
}  // namespace tandem_expected_detail

template <class T, class E>
class expected {
 public:
  using value_type = T;
  using error_type = E;

  constexpr expected() requires is_default_constructible_v<T> : v_(in_place_index<0>) {}
  template <class U = T>
  requires(!is_same_v<remove_cvref_t<U>, expected> &&
           !tandem_expected_detail::kIsUnexpected<remove_cvref_t<U>> &&
           is_constructible_v<T, U>) constexpr explicit(!is_convertible_v<U, T>) expected(U&& v)
      : v_(in_place_index<0>, std::forward<U>(v)) {}
  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr explicit(!is_convertible_v<const G&, E>) expected(const unexpected<G>& u)
      : v_(in_place_index<1>, u.error()) {}
  template <class G>
  requires is_constructible_v<E, G>
  constexpr explicit(!is_convertible_v<G, E>) expected(unexpected<G>&& u)
      : v_(in_place_index<1>, std::move(u).error()) {}

  constexpr bool has_value() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& operator*() & { return std::get<0>(v_); }
  constexpr const T& operator*() const& { return std::get<0>(v_); }
  constexpr T&& operator*() && { return std::get<0>(std::move(v_)); }
  constexpr T* operator->() { return &std::get<0>(v_); }
  constexpr const T* operator->() const { return &std::get<0>(v_); }
  constexpr T& value() & { return std::get<0>(v_); }
  constexpr const T& value() const& { return std::get<0>(v_); }

  constexpr E& error() & { return std::get<1>(v_); }
  constexpr const E& error() const& { return std::get<1>(v_); }
  constexpr E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  variant<T, E> v_;
};

template <class E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  constexpr expected() noexcept = default;
  template <class G>
  requires is_constructible_v<E, const G&>
  constexpr explicit(!is_convertible_v<const G&, E>) expected(const unexpected<G>& u)
      : error_(u.error()) {}
  template <class G>
  requires is_constructible_v<E, G>
  constexpr explicit(!is_convertible_v<G, E>) expected(unexpected<G>&& u)
      : error_(std::move(u).error()) {}

  constexpr bool has_value() const noexcept { return !error_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr void operator*() const noexcept {}
  constexpr void value() const {}

  constexpr E& error() & { return *error_; }
  constexpr const E& error() const& { return *error_; }
  constexpr E&& error() && { return *std::move(error_); }

 private:
  optional<E> error_;
};

}  // namespace std

#endif  // !__cpp_lib_expected
